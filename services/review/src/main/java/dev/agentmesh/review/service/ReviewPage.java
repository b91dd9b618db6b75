package dev.agentmesh.review.service;

import dev.agentmesh.gate.PrincipalDecision;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** The review page, rendered on the server: a list, one item with its evidence, and a form per action. */
@Path("/review")
@Produces(MediaType.TEXT_HTML)
@RolesAllowed({ReviewResource.REVIEWER, ReviewResource.PRINCIPAL})
public class ReviewPage {

    private final ReviewLog log;
    private final ReviewDesk desk;
    private final SecurityIdentity identity;
    private final Template items;
    private final Template item;

    public ReviewPage(ReviewLog log, ReviewDesk desk, SecurityIdentity identity, Template items, Template item) {
        this.log = log;
        this.desk = desk;
        this.identity = identity;
        this.items = items;
        this.item = item;
    }

    @GET
    public TemplateInstance list() {
        return items.data("items", log.book().items()).data("user", identity.getPrincipal().getName());
    }

    @GET
    @Path("/items/{id}")
    public TemplateInstance detail(@PathParam("id") String id, @QueryParam("message") String message) {
        return item.data("item", desk.item(id)).data("user", identity.getPrincipal().getName())
                .data("principal", identity.hasRole(ReviewResource.PRINCIPAL)).data("message", message);
    }

    @POST
    @Path("/items/{id}/{action}")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response act(@PathParam("id") String id, @PathParam("action") String action, @FormParam("reason") String reason,
                        @FormParam("payload") String payload) {
        String actor = identity.getPrincipal().getName();
        String message;
        try {
            switch (action) {
                case "redrive" -> desk.redrive(id, payload, actor, reason);
                case "discard" -> desk.discard(id, actor, reason);
                case "escalate" -> desk.escalate(id, actor, reason);
                case "approve", "reject" -> {
                    if (!identity.hasRole(ReviewResource.PRINCIPAL)) {
                        return Response.status(Response.Status.FORBIDDEN).entity("only the principal decides a returned run").build();
                    }
                    ReviewBook.Item it = desk.item(id);
                    desk.decide(it.runId(), PrincipalDecision.valueOf(action.toUpperCase(Locale.ROOT)), actor, reason);
                }
                default -> throw new IllegalArgumentException("unknown action " + action);
            }
            message = action + " recorded";
        } catch (ReviewDesk.Refused | IllegalArgumentException e) {
            message = "refused: " + e.getMessage();
        }
        return Response.seeOther(URI.create("/review/items/" + id + "?message="
                + URLEncoder.encode(message, StandardCharsets.UTF_8))).build();
    }
}
