from django.urls import path

from . import views

app_name = "measures"
urlpatterns = [
    path("", views.home, name="home"),
    path("clients/<str:code>/progress-letter.pdf", views.progress_letter, name="progress_letter"),
    path("clients/<str:code>/assign/", views.assign, name="assign"),
    path("clients/<str:code>/enter/<str:instrument>/", views.enter, name="enter"),
    path("clients/<str:code>/assignments/<int:pk>/link/", views.link_issue, name="link_issue"),
    path(
        "clients/<str:code>/assignments/<int:pk>/cancel/",
        views.assignment_cancel,
        name="assignment_cancel",
    ),
    path(
        "clients/<str:code>/alerts/<int:pk>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    # Public on purpose: the client's one-time link (signed, expiring, single use).
    path("r/<str:token>/", views.respond, name="respond"),
]
