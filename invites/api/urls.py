from django.urls import path

from invites.api import views

urlpatterns = [
    path("host-invites", views.HostInvitesView.as_view(), name="host-invites"),
    path("host-invites/<str:code>", views.HostInviteView.as_view(), name="host-invite"),
    path("terminals/api/users", views.UsersView.as_view(), name="users"),
    path("terminals/api/users/<str:user_id>", views.UserView.as_view(), name="user"),
    path("terminals/api/users/<str:user_id>/role", views.UserRoleView.as_view(), name="user-role"),
    path("terminals/api/invites", views.InvitesView.as_view(), name="workspace-invites"),
    path(
        "terminals/api/invites/<str:invite_id>",
        views.InviteView.as_view(),
        name="workspace-invite",
    ),
    path(
        "terminals/api/invites/<str:token>/validate",
        views.InviteValidateView.as_view(),
        name="workspace-invite-validate",
    ),
    path(
        "terminals/api/invites/<str:token>/accept",
        views.InviteAcceptView.as_view(),
        name="workspace-invite-accept",
    ),
]
