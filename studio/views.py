"""The studio's pages. Views stay thin: reads come from ``studio.selectors``."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from studio import selectors


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    # Not redirecting signed-in users: the admin sends a non-staff user here, and
    # bouncing them straight back would loop.
    redirect_authenticated_user = False


@login_required
def project_list(request):
    projects = selectors.project_list_for_user(user=request.user)
    return render(request, "studio/project_list.html", {"projects": projects, "nav_section": "projects"})


@login_required
def project_detail(request, project_id: int):
    context = selectors.project_overview(user=request.user, project_id=project_id)
    return render(request, "studio/project_detail.html", {**context, "nav_section": "datasets"})
