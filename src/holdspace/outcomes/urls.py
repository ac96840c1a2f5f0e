from django.urls import path

from . import views

app_name = "outcomes"
urlpatterns = [
    path("", views.home, name="home"),
    path("clients/<str:code>/difference/", views.difference, name="difference"),
]
