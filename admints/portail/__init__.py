"""Scolarité services, the families' portal (R-POR-1…4), served under /scolarite/ by the same app.

- `identity`: who is looking (`Viewer`), kept in the portal's own server-side session
  (cookie `scolarite_session`, admints.sessions), and the steps of getting in;
- `signin`: the login form's rules (which password opens what, R-ACC-10, closed accounts);
- `lockout`: wrong birth dates at first connection lock that account's first connection;
- `first_login`: first connection, activation email and link (R-POR-1);
- `selfhelp`: forgotten identifier or password (R-POR-3);
- `messages`: the emails these send;
- `pages`: what the home and contact pages show, from the settings in force today (R-POR-2);
- `children`: which of the viewer's pupils a page is about (a guardian switches children);
- `notes`: the assessments of one pupil visible today (R-SRV-4);
- `visits`: one visit row per service page (R-STA-3), never for a read-only viewer (R-POR-4).
The views live in `admints.views.scolarite`.
"""
