package dev.agentmesh.service;

import dev.agentmesh.judgment.Judgment;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;

/** Every purpose judged by the role's rules: the default, and what a service without a model backend has. */
@DefaultBean
@ApplicationScoped
public class RulesJudgments implements Judgments {

    @Override
    public Judgment judgment(String purpose) {
        return Judgment.rules();
    }
}
