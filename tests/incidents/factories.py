"""factory_boy factories for the incidents tests."""

import factory
from django.contrib.auth import get_user_model

from catalog.models import Service


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda s: s.slug.title())


class ResponderFactory(UserFactory):
    """A user in the responder role (only responders and admins can hold incident roles)."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def responder_role(self, create, extracted, **kwargs):
        from django.contrib.auth.models import Group

        if create:
            # get_or_create: a transactional test's flush removes the groups the migration made.
            self.groups.add(Group.objects.get_or_create(name="responder")[0])
