from django.urls import path

from . import views

app_name = "studies"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.study_new, name="new"),
    path("rater/", views.rater, name="rater"),
    path("reports/tga/", views.tga_report, name="tga"),
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
]
