"""Staff pages. Every view here subclasses StaffMixin (leads.views.base)."""
