from django.contrib import admin

from .models import Action, CheckIn, Pledge


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["title", "organizer", "status", "starts_at", "ends_at", "goal"]
    list_filter = ["status"]
    search_fields = ["title", "slug", "join_code"]


admin.site.register(Pledge)
admin.site.register(CheckIn)
