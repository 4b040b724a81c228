"""The postmortem REST API: serializers, views, and the routes config/urls.py includes."""
