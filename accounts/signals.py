"""What other apps hear about accounts without accounts knowing them."""

from django.dispatch import Signal

# Sent inside the write transaction when a user's workspace access shrinks (a lower role, or no
# longer a member, or deactivated), with `user` (fresh from the database). Receivers end what the
# old access allowed (terminals ends the user's claims).
workspace_access_reduced = Signal()
