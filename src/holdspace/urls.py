from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from holdspace.api.api import api
from holdspace.core import views as core_views
from holdspace.people.invitation_views import invitation_accept

# The platform admin signs in through the same page as everyone, second factor included;
# Django's own admin sign-in form would take a password alone.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("today/", core_views.today, name="today"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    # The language can be chosen on the sign-in page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/invitation/<str:token>/", invitation_accept, name="invitation_accept"),
    path("accounts/", include("allauth.urls")),
    path("clients/", include("holdspace.people.urls")),
    path("clinic/", include("holdspace.people.clinic_urls")),
    path("screening/", include("holdspace.screening.urls")),
    path("measures/", include("holdspace.measures.urls")),
    path("courses/", include("holdspace.courses.urls")),
    path("preparation/", include("holdspace.preparation.urls")),
    path("integration/", include("holdspace.integration.urls")),
    path("portal/", include("holdspace.portal.urls")),
    path("sessions/", include("holdspace.sessions.urls")),
    path("review/", include("holdspace.review.urls")),
    path("outcomes/", include("holdspace.outcomes.urls")),
    path("exports/", include("holdspace.exports.urls")),
    path("audit/", include("holdspace.people.audit_urls")),
    path("studies/", include("holdspace.studies.urls")),
    path("account/api-tokens/", include("holdspace.api.urls")),
    path("api/v1/", api.urls),
    path("platform-admin/", admin.site.urls),
]
