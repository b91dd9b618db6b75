package dev.agentmesh.review.service;

import dev.agentmesh.gate.PrincipalDecision;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.FormAuthenticationMechanism;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    /** The queue, grouped by run and reason; open items unless {@code status} says otherwise. */
    @GET
    public TemplateInstance list(@QueryParam("status") String status, @QueryParam("agent") String agent,
                                 @QueryParam("topic") String topic, @QueryParam("run") String run,
                                 @QueryParam("message") String message) {
        List<ReviewBook.Item> all = log.book().items().stream().map(desk::listed).toList();
        ReviewQueue.Filter filter = new ReviewQueue.Filter(status, agent, topic, run);
        List<ReviewQueue.Group> groups = ReviewQueue.groups(all, filter);
        return items.data("groups", groups).data("shown", groups.stream().mapToInt(ReviewQueue.Group::size).sum())
                .data("total", all.size()).data("filter", filter)
                .data("statuses", Arrays.stream(ReviewBook.Status.values()).map(Enum::name).toList())
                .data("agents", ReviewQueue.values(all, ReviewBook.Item::agent))
                .data("topics", ReviewQueue.values(all, ReviewBook.Item::originalTopic))
                .data("runs", ReviewQueue.values(all, ReviewBook.Item::runId))
                .data("back", query(filter)).data("user", identity.getPrincipal().getName()).data("message", message);
    }

    /** The list's query string for {@code filter}, so that a group action returns to the same view. */
    static String query(ReviewQueue.Filter filter) {
        StringBuilder query = new StringBuilder("?status=").append(encode(filter.status()));
        if (filter.agent() != null) {
            query.append("&agent=").append(encode(filter.agent()));
        }
        if (filter.topic() != null) {
            query.append("&topic=").append(encode(filter.topic()));
        }
        if (filter.run() != null) {
            query.append("&run=").append(encode(filter.run()));
        }
        return query.toString();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * One action on every item of a group (after a fix): still one event per item, with the acting identity. Items
     * the action does not apply to are refused one by one and named in the message.
     */
    @POST
    @Path("/groups/{action}")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response actOnGroup(@PathParam("action") String action, @FormParam("item") List<String> ids,
                               @FormParam("reason") String reason, @FormParam("back") String back) {
        String actor = identity.getPrincipal().getName();
        List<String> refused = new ArrayList<>();
        int done = 0;
        for (String id : ids == null ? List.<String>of() : ids) {
            try {
                switch (action) {
                    case "discard" -> desk.discard(id, actor, reason);
                    case "redrive" -> desk.redrive(id, null, actor, reason);
                    case "escalate" -> desk.escalate(id, actor, reason);
                    default -> throw new IllegalArgumentException("unknown group action " + action);
                }
                done++;
            } catch (ReviewDesk.Refused | IllegalArgumentException e) {
                refused.add(id + ": " + e.getMessage());
            }
        }
        String message = action + " recorded for " + done + " of " + (ids == null ? 0 : ids.size()) + " items"
                + (refused.isEmpty() ? "" : "; refused: " + String.join("; ", refused));
        String query = back == null || back.isBlank() || !back.startsWith("?") ? "?" : back + "&";
        return Response.seeOther(URI.create("/review" + query + "message=" + URLEncoder.encode(message, StandardCharsets.UTF_8)))
                .build();
    }

    /** Signs out of the page: the form login's cookie is dropped, and the next page asks for a login again. */
    @POST
    @Path("/logout")
    public Response logout() {
        FormAuthenticationMechanism.logout(identity);
        return Response.seeOther(URI.create("/login.html")).build();
    }

    @GET
    @Path("/items/{id}")
    public TemplateInstance detail(@PathParam("id") String id, @QueryParam("message") String message) {
        return page(desk.shown(id), message, false);
    }

    /** The principal sees the row's sensitive columns, once the reveal is recorded; nobody else may. */
    @POST
    @Path("/items/{id}/reveal")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @RolesAllowed(ReviewResource.PRINCIPAL)
    public TemplateInstance reveal(@PathParam("id") String id, @FormParam("reason") String reason) {
        try {
            return page(desk.reveal(id, identity.getPrincipal().getName(), reason), "revealed; the reveal is recorded", true);
        } catch (ReviewDesk.Refused e) {
            return page(desk.shown(id), "refused: " + e.getMessage(), false);
        }
    }

    private TemplateInstance page(ReviewBook.Item shown, String message, boolean revealed) {
        return item.data("item", shown).data("user", identity.getPrincipal().getName())
                .data("principal", identity.hasRole(ReviewResource.PRINCIPAL)).data("message", message)
                .data("masked", !revealed && !desk.sensitive(shown).isEmpty()).data("revealed", revealed);
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
