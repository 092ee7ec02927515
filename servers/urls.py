from django.urls import path

from servers import views

urlpatterns = [
    path("", views.home, name="home"),
]
