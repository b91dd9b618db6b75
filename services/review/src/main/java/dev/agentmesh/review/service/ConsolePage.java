package dev.agentmesh.review.service;

import java.time.Instant;
import dev.agentmesh.runstate.SweepState;
import dev.agentmesh.core.Reliability;
import java.nio.charset.StandardCharsets;
import java.net.URLEncoder;
import java.net.URI;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.Consumes;
import dev.agentmesh.gate.PrincipalDecision;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.runstate.RunState;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Objects;

/**
 * The console's run pages, beside the review queue and behind the same sign-in: the runs run-state knows, filterable
 * by status and pipeline, and one run with its stages, its sweep as a chart, its gate's verdicts and decision.
 */
@Path("/review/runs")
@Produces(MediaType.TEXT_HTML)
@RolesAllowed({ReviewResource.REVIEWER, ReviewResource.PRINCIPAL})
public class ConsolePage {

    private final RunStateApi runState;
    private final SecurityIdentity identity;
    private final ReviewDesk desk;
    private final Template runs;
    private final Template run;

    public ConsolePage(RunStateApi runState, SecurityIdentity identity, ReviewDesk desk, @Location("runs.html") Template runs,
                       @Location("run.html") Template run) {
        this.runState = runState;
        this.desk = desk;
        this.identity = identity;
        this.runs = runs;
        this.run = run;
    }

    @GET
    public TemplateInstance list(@QueryParam("status") String status, @QueryParam("pipeline") String pipeline) {
        String wantStatus = blankToNull(status);
        String wantPipeline = blankToNull(pipeline);
        List<RunStateApi.Summary> all = List.of();
        String problem = null;
        try {
            all = runState.runs();
        } catch (RunStateApi.Unavailable e) {
            problem = e.getMessage();
        }
        List<RunStateApi.Summary> shown = all.stream()
                .filter(r -> wantStatus == null || wantStatus.equals(r.status()))
                .filter(r -> wantPipeline == null || wantPipeline.equals(r.pipeline())).toList();
        return runs.data("runs", shown).data("total", all.size()).data("problem", problem)
                .data("status", wantStatus).data("pipeline", wantPipeline)
                .data("statuses", all.stream().map(RunStateApi.Summary::status).distinct().sorted().toList())
                .data("pipelines", all.stream().map(RunStateApi.Summary::pipeline).filter(Objects::nonNull).distinct().sorted().toList())
                .data("user", identity.getPrincipal().getName());
    }

    @GET
    @Path("/{runId}")
    public TemplateInstance show(@PathParam("runId") String runId, @QueryParam("message") String message) {
        RunState state = runState.run(runId).orElseThrow(() -> new NotFoundException("no run " + runId));
        List<CostRollup.Node> costs;
        try {
            costs = runState.costs(runId);
        } catch (RunStateApi.Unavailable e) {
            costs = List.of(); // the page shows the run without its cost tree
        }
        RunView view = RunView.of(state, costs);
        Reliability reliability = null;
        if (state.pipeline() != null) {
            try {
                reliability = runState.reliability(state.pipeline());
            } catch (RunStateApi.Unavailable e) {
                reliability = null; // the page shows the run without its pipeline's reliability
            }
        }
        return run.data("run", view).data("chart", view.sweep()).data("user", identity.getPrincipal().getName())
                .data("timeline", Timeline.of(state, Instant.now())).data("steps", winnerSteps(state))
                .data("reliability", RunView.reliability(reliability))
                .data("principal", identity.hasRole(ReviewResource.PRINCIPAL)).data("message", blankToNull(message));
    }

    /**
     * The principal's decision on a run the gate returned, from the run's page: a {@code PrincipalDecided} event under
     * the principal's decision grant, with the signed-in identity, exactly as from the review queue.
     */
    @POST
    @Path("/{runId}/decide/{decision}")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response decide(@PathParam("runId") String runId, @PathParam("decision") String decision,
                           @FormParam("reason") String reason) {
        if (!identity.hasRole(ReviewResource.PRINCIPAL)) {
            return Response.status(Response.Status.FORBIDDEN).entity("only the principal decides a returned run").build();
        }
        String message;
        try {
            PrincipalDecision chosen = switch (decision) {
                case "approve" -> PrincipalDecision.APPROVE;
                case "reject" -> PrincipalDecision.REJECT;
                default -> throw new IllegalArgumentException("a decision is approve or reject, not " + decision);
            };
            desk.decide(runId, chosen, identity.getPrincipal().getName(), reason);
            message = decision + " recorded; the gate acts on it";
        } catch (ReviewDesk.Refused | IllegalArgumentException e) {
            message = "refused: " + e.getMessage();
        }
        return Response.seeOther(URI.create("/review/runs/" + URLEncoder.encode(runId, StandardCharsets.UTF_8).replace("+", "%20")
                + "?message=" + URLEncoder.encode(message, StandardCharsets.UTF_8))).build();
    }

    /** The run's version (status and event count), which its page polls to reload itself while the run goes on. */
    @GET
    @Path("/{runId}/version")
    @Produces(MediaType.TEXT_PLAIN)
    public String version(@PathParam("runId") String runId) {
        RunState state = runState.run(runId).orElseThrow(() -> new NotFoundException("no run " + runId));
        return RunView.version(state.status().name(), state.eventCount());
    }

    /** The winning cell's pipeline steps, each with what it measured and how long it took. */
    static List<SweepState.StepResult> winnerSteps(RunState state) {
        if (state.sweep() == null || state.sweep().outcome() == null || state.sweep().outcome().winnerCellId() == null) {
            return List.of();
        }
        SweepState.CellState winner = state.sweep().cells().get(state.sweep().outcome().winnerCellId());
        return winner == null ? List.of() : winner.steps();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
