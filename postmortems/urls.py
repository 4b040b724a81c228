"""Postmortem pages: the editor under each incident, the list, and the action-items board."""

from django.urls import path

from postmortems import views as v

app_name = "postmortems"

_pm = "incidents/<int:number>/postmortem/"
urlpatterns = [
    path("postmortems/", v.postmortems, name="list"),
    path("postmortems/template/", v.template_edit, name="template"),
    path("action-items/", v.action_board, name="board"),
    path("action-items/<int:item_id>/status/", v.action_item_status, name="item-status"),
    path(_pm, v.editor, name="editor"),
    path(_pm + "draft/", v.draft, name="draft"),
    path(_pm + "sections/<str:key>/", v.save_section, name="section"),
    path(_pm + "sections/<str:key>/preview/", v.preview, name="preview"),
    path(_pm + "figures/", v.save_figures, name="figures"),
    path(_pm + "request-review/", v.request_review, name="request-review"),
    path(_pm + "review/", v.review, name="review"),
    path(_pm + "publish/", v.publish, name="publish"),
    path(_pm + "action-items/", v.add_action_item, name="add-item"),
    path(_pm + "document/", v.document, name="document"),
    path(_pm + "versions/<int:version>/", v.document, name="version"),
    path(_pm + "pdf/", v.download_pdf, name="pdf"),
    path(_pm + "markdown/", v.download_markdown, name="markdown"),
]
