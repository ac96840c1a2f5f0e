from django.urls import URLPattern

app_name = "integration"
urlpatterns: list[URLPattern] = []
