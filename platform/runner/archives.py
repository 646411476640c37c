"""Package archives for scale-out workers, served by the web API.

A worker has the database but not the web host's storage, so it fetches a revision's
archive over HTTP. The endpoint takes no user's token or session: only a signature of
the revision's id and sha256 with DATASLOT_SECRET_KEY, which web processes and workers
share and nobody else has. A wrong signature and an unknown revision are the same 404.
"""

from __future__ import annotations

import hmac

from django.http import Http404, HttpResponse, JsonResponse
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_GET

from faas.models import PackageRevision
from faas.packaging import StoredArchiveError, stored_archive

ARCHIVE_PATH = "/api/runner/revisions/{revision_id}/archive"
SIGNATURE_HEADER = "X-Dataslot-Worker-Signature"


def archive_signature(revision: PackageRevision) -> str:
    return salted_hmac("dataslot.runner.archive", f"{revision.id}:{revision.archive_sha256}").hexdigest()


@require_GET
def revision_archive(request, revision_id: int):
    revision = PackageRevision.objects.filter(pk=revision_id).first()
    given = request.headers.get(SIGNATURE_HEADER, "")
    if revision is None or not hmac.compare_digest(given.encode(), archive_signature(revision).encode()):
        raise Http404("No such archive.")
    try:
        data = stored_archive(revision)
    except StoredArchiveError as exc:
        # The archive itself is gone or changed: true for every worker, its service is broken.
        return JsonResponse({"detail": str(exc)}, status=409)
    return HttpResponse(data, content_type="application/octet-stream")
