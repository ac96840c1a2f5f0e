from django.urls import path

from . import views

app_name = "preparation"
urlpatterns = [
    path("<str:code>/", views.preparation, name="preparation"),
    path("<str:code>/override/", views.override, name="override"),
]
