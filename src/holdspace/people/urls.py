from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("new/", views.client_create, name="client_create"),
    path("<str:code>/", views.client_detail, name="client_detail"),
    path("<str:code>/care-team/", views.care_team_add, name="care_team_add"),
    path("<str:code>/care-team/<int:pk>/remove/", views.care_team_remove, name="care_team_remove"),
]
