"""What every screen builds on: the request's installation and user (context), security
(sessions, CSRF, role checks), form parsing, error pages and template helpers."""
