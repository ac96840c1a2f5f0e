from django.urls import URLPattern

app_name = "preparation"
urlpatterns: list[URLPattern] = []
