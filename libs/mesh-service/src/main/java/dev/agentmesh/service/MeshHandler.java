package dev.agentmesh.service;

import jakarta.interceptor.InterceptorBinding;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a record handler: {@link MeshHandlerInterceptor} counts what it handles and what fails (each failure is
 * dead-lettered by the channel's failure strategy), times it, and puts the record's run and event ids in the log
 * context.
 */
@InterceptorBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface MeshHandler {
}
