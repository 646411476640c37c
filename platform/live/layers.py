"""The in-memory channel layer (the embedded server), with its cleanup bounded.

Channels' ``InMemoryChannelLayer`` walks every channel and every group membership for
expired messages on each ``receive``: with N websockets each receiving a batch, that is
N x N steps per batch, the one cost of the fan-out that grew with the square of the
watchers. Messages expire after a minute (``expiry``), so cleaning at most once a second
changes nothing else.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

CLEAN_EVERY = 1.0


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    _cleaned_at = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._cleaned_at < CLEAN_EVERY:
            return
        self._cleaned_at = now
        super()._clean_expired()
