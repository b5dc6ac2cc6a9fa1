"""Scolarité services, the families' portal (R-POR-1…4), served under /scolarite/ by the same app.

- `identity`: who is looking (`Viewer`), kept in the portal's own server-side session
  (cookie `scolarite_session`, admints.sessions), and the steps of getting in;
- `signin`: the login form's rules (which password opens what, R-ACC-10, closed accounts);
- `lockout`: wrong birth dates at first connection lock that account's first connection;
- `first_login`: first connection, activation email and link (R-POR-1);
- `selfhelp`: forgotten identifier or password (R-POR-3);
- `messages`: the emails these send.
The views live in `admints.views.scolarite`.
"""
