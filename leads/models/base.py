from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    """created_at / updated_at for every model that has a life of its own."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def choices_check(
    field: str, choices: type[models.TextChoices], name: str
) -> models.CheckConstraint:
    """A named CheckConstraint so the database refuses what the enum refuses."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)
