"""Local HTTP servers standing in for the services Baton talks to."""
