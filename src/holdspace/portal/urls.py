from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("journal/", views.journal, name="journal"),
    path("access-log/", views.access_log, name="access_log"),
    path("intentions/", views.intentions, name="intentions"),
    path("check-in/", views.check_in, name="check_in"),
    path("invite/<str:code>/", views.invite, name="invite"),
]
