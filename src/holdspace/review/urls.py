from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.review_page, name="home"),
    path("confirm/", views.review_confirm, name="confirm"),
    path("change/", views.review_change, name="change"),
]
