from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from workspace.api.auth import AuthTokenView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/token/", AuthTokenView.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Its start script is a file of its own, not inline: the pages' Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("workspace.api.urls")),
    path("api/", include("faas.api.urls")),
    path("api/runner/", include("runner.urls")),  # scale-out workers only (signed, no user token)
    path("", include("studio.urls")),
]

handler404 = "workspace.api.errors.not_found"
