"""REST API for the services catalog."""

from rest_framework import serializers, viewsets

from ..models import Service


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["slug", "name", "description", "discovered", "created_at"]
        read_only_fields = ["created_at"]


class ServiceViewSet(viewsets.ModelViewSet):
    """Services: everyone reads; admins create, edit and tidy discovered ones."""

    queryset = Service.objects.order_by("slug")
    serializer_class = ServiceSerializer
    lookup_field = "slug"
    filterset_fields = ["discovered"]
