package dev.agentmesh.review.service;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the review log has caught up with the topics' ends as they were at start. */
@Readiness
@ApplicationScoped
public class ReviewReadiness implements HealthCheck {

    private final ReviewLog log;

    public ReviewReadiness(ReviewLog log) {
        this.log = log;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("review-log-caught-up").status(log.caughtUp())
                .withData("items", log.book().items().size()).build();
    }
}
