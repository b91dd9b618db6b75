package dev.agentmesh.meshctl;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** The demo's mesh without its run: the embedded broker and every service, supervised, until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start the embedded broker and every service (supervised: a service that exits is restarted) and keep them up.")
public class UpCommand implements Callable<Integer> {

    @Mixin
    MeshOptions mesh;

    @Override
    public Integer call() throws Exception {
        return DemoCommand.meshOnly(mesh).call();
    }
}
