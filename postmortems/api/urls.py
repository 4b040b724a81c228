"""REST API routes for postmortems and action items (names and paths as before the move)."""

from django.urls import path

from core.routers import Router
from postmortems.api.views import (
    ActionItemViewSet,
    FiguresView,
    LanguageCheckView,
    MarkdownView,
    PdfView,
    PostmortemListView,
    PostmortemView,
    PublishView,
    RequestReviewView,
    ReviewView,
    SectionView,
    TemplateView,
    VersionListView,
    VersionView,
)

router = Router()
router.register("action-items", ActionItemViewSet, basename="action-item")

_pm = "incidents/<int:number>/postmortem/"
urlpatterns = [
    path("postmortems/", PostmortemListView.as_view(), name="postmortem-list"),
    path("postmortems/check-language/", LanguageCheckView.as_view(), name="postmortem-language"),
    path("postmortem-template/", TemplateView.as_view(), name="postmortem-template"),
    path(_pm, PostmortemView.as_view(), name="postmortem"),
    path(_pm + "sections/<str:key>/", SectionView.as_view(), name="postmortem-section"),
    path(_pm + "figures/", FiguresView.as_view(), name="postmortem-figures"),
    path(_pm + "request-review/", RequestReviewView.as_view(), name="postmortem-request-review"),
    path(_pm + "review/", ReviewView.as_view(), name="postmortem-review"),
    path(_pm + "publish/", PublishView.as_view(), name="postmortem-publish"),
    path(_pm + "versions/", VersionListView.as_view(), name="postmortem-versions"),
    path(_pm + "versions/<int:version>/", VersionView.as_view(), name="postmortem-version"),
    path(_pm + "pdf/", PdfView.as_view(), name="postmortem-pdf"),
    path(_pm + "markdown/", MarkdownView.as_view(), name="postmortem-markdown"),
    *router.urls,
]
