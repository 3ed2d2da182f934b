from django.urls import include, path

from invites import views

app_name = "invites"

# Mounted at the site root (before terminals/), so every path here is absolute.
urlpatterns = [
    path("", include("invites.api.urls")),
    path("g/<str:code>", views.landing, name="landing"),
    path("invites/", views.my_invites, name="mine"),
    path("invites/<str:code>/", views.invite_detail, name="detail"),
    path("invites/<str:code>/revoke", views.invite_revoke, name="revoke"),
    path("terminals/invite/<str:token>", views.workspace_landing, name="workspace-landing"),
    path("terminals/members/", views.members_page, name="members"),
    path("terminals/members/invites", views.members_invite_create, name="members-invite-create"),
    path(
        "terminals/members/invites/<str:invite_id>/revoke",
        views.members_invite_revoke,
        name="members-invite-revoke",
    ),
    path("terminals/members/add", views.member_add, name="member-add"),
    path("terminals/members/<str:user_id>/role", views.member_role, name="member-role"),
    path("terminals/members/<str:user_id>/remove", views.member_remove, name="member-remove"),
]
