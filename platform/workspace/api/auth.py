"""The API's token endpoint: DRF's, under the log-in throttle (workspace.services.logins)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken import serializers as authtoken
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError

from workspace.services.logins import lockout_message, login_failed, login_refused


# A comment, not a docstring: that would become the schema's description of AuthToken.
class AuthTokenSerializer(authtoken.AuthTokenSerializer):
    def validate(self, attrs):
        request, username = self.context["request"], attrs["username"]
        # Checked before the password: during a lockout even the right one is refused.
        if login_refused(request=request, username=username):
            raise Throttled(detail=lockout_message())
        try:
            return super().validate(attrs)
        except ValidationError:
            login_failed(request=request, username=username)
            raise


class AuthTokenView(ObtainAuthToken):
    serializer_class = AuthTokenSerializer

    @extend_schema(
        responses={
            200: AuthTokenSerializer,
            429: OpenApiResponse(
                description="Too many failed log-ins for this username or from this address lately: "
                "refused, even with the right password, until the lockout ends."
            ),
        }
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
