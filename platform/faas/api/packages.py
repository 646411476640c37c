"""Packages and their revisions over HTTP; views stay thin over faas.services."""

from __future__ import annotations

from django.db.models import F
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from faas.api import schema as s
from faas.api.common import ManagementView, get_for_user, json_field
from faas.models import Package, PackageRevision
from faas.representations import package_json, revision_json
from faas.services import packages as package_services
from workspace.selectors.projects import MEMBERS, WRITERS, project_get_for_user


def _archive(request) -> bytes | None:
    upload = request.FILES.get("archive")
    return upload.read() if upload is not None else None


class ProjectPackagesView(ManagementView):
    @extend_schema(responses={200: s.PackageSerializer(many=True)})
    def get(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MEMBERS)
        packages = list(Package.objects.filter(project=project).order_by("id"))
        # Only each package's newest revision, in one query (a package gains one per push).
        latest = {
            r.package_id: r
            for r in PackageRevision.objects.filter(package__project=project, version=F("package__version"))
        }
        return Response([package_json(p, latest[p.id]) for p in packages if p.id in latest])

    @extend_schema(request={"multipart/form-data": s.PackagePushSerializer}, responses={201: s.PackageSerializer})
    def post(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=WRITERS)
        package = package_services.package_push(
            project=project,
            name=request.data.get("name"),
            archive=_archive(request),
            modules=json_field(request.data, "modules"),
            slots=json_field(request.data, "slots"),
            user=request.user,
        )
        return Response(package_json(package), status=status.HTTP_201_CREATED)


class PackageView(ManagementView):
    @extend_schema(responses={200: s.PackageSerializer})
    def get(self, request, package_id):
        return Response(package_json(get_for_user(Package, package_id, user=request.user, roles=MEMBERS)))

    @extend_schema(
        request={"multipart/form-data": s.PackageUpdateSerializer, "application/json": s.PackageUpdateSerializer},
        responses={200: s.PackageSerializer},
    )
    def patch(self, request, package_id):
        package = get_for_user(Package, package_id, user=request.user, roles=WRITERS)
        package = package_services.package_update(
            package=package,
            archive=_archive(request),
            modules=json_field(request.data, "modules"),
            slots=json_field(request.data, "slots"),
            user=request.user,
        )
        return Response(package_json(package))

    @extend_schema(responses={204: None, 409: s.CONFLICT})
    def delete(self, request, package_id):
        package_services.package_delete(package=get_for_user(Package, package_id, user=request.user, roles=WRITERS))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PackageRevisionsView(ManagementView):
    @extend_schema(responses={200: s.PackageRevisionSerializer(many=True)})
    def get(self, request, package_id):
        package = get_for_user(Package, package_id, user=request.user, roles=MEMBERS)
        return Response([revision_json(r) for r in package.revisions.order_by("version")])
