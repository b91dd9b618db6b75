package dev.agentmesh.review.service;

import dev.agentmesh.gate.PrincipalDecision;
import dev.agentmesh.review.ReviewAction;
import dev.agentmesh.review.ReviewActionKind;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The review API: read with a reviewer's login, act as yourself, decide returned runs only as the principal. */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({ReviewResource.REVIEWER, ReviewResource.PRINCIPAL})
public class ReviewResource {

    public static final String REVIEWER = "reviewer";
    public static final String PRINCIPAL = "principal";

    /** What an action asks for: why, and for a re-drive optionally the edited payload (Avro JSON). */
    public record ActionRequest(String reason, String payload) {
    }

    public record DecisionRequest(String decision, String reason) {
    }

    private final ReviewLog log;
    private final ReviewDesk desk;
    private final SecurityIdentity identity;

    public ReviewResource(ReviewLog log, ReviewDesk desk, SecurityIdentity identity) {
        this.log = log;
        this.desk = desk;
        this.identity = identity;
    }

    /** Every item, a row's sensitive columns masked. */
    @GET
    @Path("/items")
    public List<ReviewBook.Item> items() {
        return log.book().items().stream().map(desk::shown).toList();
    }

    @GET
    @Path("/items/{id}")
    public ReviewBook.Item item(@PathParam("id") String id) {
        return desk.shown(id);
    }

    /** The item in the clear, for the principal only; the reveal is recorded as a review action first. */
    @POST
    @Path("/items/{id}/reveal")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(PRINCIPAL)
    public ReviewBook.Item reveal(@PathParam("id") String id, ActionRequest request) {
        return desk.reveal(id, identity.getPrincipal().getName(), request == null ? null : request.reason());
    }

    @POST
    @Path("/items/{id}/redrive")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> redrive(@PathParam("id") String id, ActionRequest request) {
        long before = log.book().item(id).map(i -> i.history().stream()
                .filter(a -> a.action().equals(ReviewActionKind.REDRIVE.name())).count()).orElse(0L);
        Map<String, Object> view = new LinkedHashMap<>(view(desk.redrive(id, request == null ? null : request.payload(),
                actor(), reason(request))));
        // the record keeps its event id, so a consumer that applied it before applies nothing now: say so
        view.put("previousRedrives", before);
        return view;
    }

    @POST
    @Path("/items/{id}/discard")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> discard(@PathParam("id") String id, ActionRequest request) {
        return view(desk.discard(id, actor(), reason(request)));
    }

    @POST
    @Path("/items/{id}/escalate")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> escalate(@PathParam("id") String id, ActionRequest request) {
        return view(desk.escalate(id, actor(), reason(request)));
    }

    @POST
    @Path("/runs/{runId}/decide")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(PRINCIPAL)
    public Map<String, Object> decide(@PathParam("runId") String runId, DecisionRequest request) {
        PrincipalDecision decision;
        try {
            decision = PrincipalDecision.valueOf(request.decision().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("decision must be approve or reject");
        }
        return view(desk.decide(runId, decision, actor(), request.reason() == null ? "" : request.reason()));
    }

    private String actor() {
        return identity.getPrincipal().getName();
    }

    private static String reason(ActionRequest request) {
        return request == null || request.reason() == null ? "" : request.reason();
    }

    static Map<String, Object> view(ReviewAction a) {
        return Map.of("actionId", a.getActionId(), "itemId", a.getItemId(), "action", a.getAction().name(),
                "actor", a.getActor(), "reason", a.getReason(), "redrivenTo", String.valueOf(a.getRedrivenTo()),
                "edited", a.getEdited(), "at", a.getAt().toString());
    }

    @Provider
    public static class RefusedMapper implements ExceptionMapper<ReviewDesk.Refused> {
        @Override
        public Response toResponse(ReviewDesk.Refused e) {
            return Response.status(Response.Status.CONFLICT).type(MediaType.APPLICATION_JSON)
                    .entity(Map.of("error", e.getMessage())).build();
        }
    }

    @Provider
    public static class BadRequestMapper implements ExceptionMapper<IllegalArgumentException> {
        @Override
        public Response toResponse(IllegalArgumentException e) {
            return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON)
                    .entity(Map.of("error", String.valueOf(e.getMessage()))).build();
        }
    }
}
