"""The web app (Dash): pick a viewer, rate titles, watch the recommendations change, read the
emails the viewer got. It talks to the review API over HTTP, like any client."""
