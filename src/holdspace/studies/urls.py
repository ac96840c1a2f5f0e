from django.urls import path

from . import fidelity_views, views, views_team

app_name = "studies"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.study_new, name="new"),
    path("rater/", views.rater, name="rater"),
    path("reports/tga/", views.tga_report, name="tga"),
    path("reports/oregon/", fidelity_views.oregon_report, name="oregon"),
    path("reports/oregon/setting/", fidelity_views.oregon_setting, name="oregon_setting"),
    path("oregon-303/<str:code>/", fidelity_views.oregon_opt_out, name="oregon_opt_out"),
    path("rater/<int:pk>/", views.rater_assessment, name="rater_assessment"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/setup/", views.setup, name="setup"),
    path("<int:pk>/setup/generate/", views.allocation_generate, name="allocation_generate"),
    path("<int:pk>/setup/upload/", views.allocation_upload, name="allocation_upload"),
    path("<int:pk>/enrol/", views.enrol, name="enrol"),
    path("<int:pk>/randomise/", views.randomise, name="randomise"),
    path("<int:pk>/unblind/", views.unblind, name="unblind"),
    path("<int:pk>/lock/", views.lock, name="lock"),
    path("<int:pk>/assessments/", views.assessment_schedule, name="assessment_schedule"),
    path("<int:pk>/guesses/", views.guess, name="guess"),
    path("<int:pk>/deviations/", views.deviation, name="deviation"),
    path("<int:pk>/queries/", views.queries, name="queries"),
    path("<int:pk>/queries/raise/", views.query_raise, name="query_raise"),
    path("<int:pk>/queries/<int:query_pk>/answer/", views.query_answer, name="query_answer"),
    path("<int:pk>/queries/<int:query_pk>/close/", views.query_close, name="query_close"),
    path("<int:pk>/blinding/", views.blinding_report, name="blinding"),
    path("<int:pk>/reports/", views.reports, name="reports"),
    # the study team and its sites (views_team.py)
    path("<int:pk>/team/", views_team.team_page, name="team"),
    path("<int:pk>/team/add/", views_team.member_add, name="member_add"),
    path("<int:pk>/team/<int:member_pk>/change/", views_team.member_change, name="member_change"),
    path("<int:pk>/team/<int:member_pk>/remove/", views_team.member_remove, name="member_remove"),
    path("<int:pk>/sites/invite/", views_team.site_invite, name="site_invite"),
    path(
        "invitations/<int:invitation_pk>/accept/",
        views_team.invitation_answer,
        {"answer": "accept"},
        name="invitation_accept",
    ),
    path(
        "invitations/<int:invitation_pk>/decline/",
        views_team.invitation_answer,
        {"answer": "decline"},
        name="invitation_decline",
    ),
    path("<int:pk>/follow-ups/", views_team.follow_ups_schedule, name="follow_ups"),
    path("<int:pk>/fidelity/", fidelity_views.fidelity_report, name="fidelity"),
    path("<int:pk>/fidelity/setup/", fidelity_views.fidelity_setup, name="fidelity_setup"),
    path("<int:pk>/fidelity/rate/", fidelity_views.fidelity_rate, name="fidelity_rate"),
    path(
        "<int:pk>/fidelity/rate/<int:session_pk>/",
        fidelity_views.fidelity_rate_session,
        name="fidelity_rate_session",
    ),
]
