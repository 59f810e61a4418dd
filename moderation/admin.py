from django.contrib import admin
from django.http import HttpRequest

from .models import Decision, Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["reason", "action", "person", "reporter", "created_at", "resolved_at"]
    list_filter = ["reason", "resolved_at"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["kind", "action", "person", "moderator", "reason", "created_at"]
    list_filter = ["kind"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the log is never edited

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
