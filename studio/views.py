"""The studio's pages. Views stay thin: reads come from ``studio.selectors``."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import render

from studio import selectors
from workspace.services.logins import lockout_message, login_failed, login_refused


class LoginForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()  # nothing is authenticated, nothing to count
        # Checked before the password: during a lockout even the right one is refused.
        if login_refused(request=self.request, username=username):
            raise ValidationError(lockout_message(), code="locked")
        try:
            return super().clean()
        except ValidationError:
            login_failed(request=self.request, username=username)
            raise


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    # Not redirecting signed-in users: the admin sends a non-staff user here, and
    # bouncing them straight back would loop.
    redirect_authenticated_user = False

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, code="locked"):
            response.status_code = 429
        return response


@login_required
def project_list(request):
    projects = selectors.project_list_for_user(user=request.user)
    return render(request, "studio/project_list.html", {"projects": projects, "nav_section": "projects"})


@login_required
def project_detail(request, project_id: int):
    context = selectors.project_overview(user=request.user, project_id=project_id)
    return render(request, "studio/project_detail.html", {**context, "nav_section": "datasets"})
