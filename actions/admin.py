from django.contrib import admin

from .models import Action, CheckIn, Follow, Pledge, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["handle", "display_name", "is_guest"]
    search_fields = ["handle", "display_name"]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["title", "organizer", "status", "starts_at", "ends_at", "goal"]
    list_filter = ["status"]
    search_fields = ["title", "slug", "join_code"]


admin.site.register(Follow)
admin.site.register(Pledge)
admin.site.register(CheckIn)
