package dev.agentmesh.meshctl;

import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What every console page must be for a person in a browser: each control labelled, each button named, a language and
 * a viewport, and no sideways scrolling at a laptop's 1280 px or a phone's 390 px. Screenshots go under target/.
 */
final class ConsoleChecks {

    static final int LAPTOP = 1280;
    static final int PHONE = 390;

    private ConsoleChecks() {
    }

    /** What is wrong with the page the browser shows, at its current width. */
    @SuppressWarnings("unchecked")
    static List<String> problems(ChromeDriver browser) {
        Object found = browser.executeScript("""
                const problems = [];
                for (const c of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
                  const labelled = c.closest('label') || (c.id && document.querySelector('label[for="' + c.id + '"]'))
                      || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby') || c.getAttribute('title');
                  if (!labelled) problems.push('a ' + c.tagName.toLowerCase() + ' named ' + (c.name || c.id || '?') + ' has no label');
                }
                for (const b of document.querySelectorAll('button')) {
                  if (!(b.textContent.trim() || b.getAttribute('aria-label'))) problems.push('a button has no name');
                }
                for (const s of document.querySelectorAll('svg')) {
                  if (!(s.getAttribute('aria-label') || s.querySelector('title'))) problems.push('an svg has no text alternative');
                }
                if (!document.documentElement.lang) problems.push('the page names no language');
                if (!document.querySelector('meta[name=viewport]')) problems.push('the page has no viewport');
                const wide = document.documentElement.scrollWidth;
                if (wide > window.innerWidth + 1) problems.push('the page scrolls sideways: ' + wide + ' px wide in ' + window.innerWidth);
                return problems;""");
        return new ArrayList<>((List<String>) found);
    }

    /**
     * Checks the page at the laptop's and the phone's width, and writes a screenshot of each under
     * {@code target/console-<name>[-phone].png}; returns every problem found, prefixed with the width.
     */
    static List<String> checkAndShoot(ChromeDriver browser, Path target, String name) throws IOException {
        List<String> problems = new ArrayList<>();
        for (int width : new int[]{LAPTOP, PHONE}) {
            browser.manage().window().setSize(new Dimension(width, 900));
            long height = (Long) browser.executeScript("return document.documentElement.scrollHeight");
            browser.manage().window().setSize(new Dimension(width, (int) Math.min(height + 140, 4000)));
            problems(browser).forEach(p -> problems.add(name + " at " + width + " px: " + p));
            Files.write(target.resolve("console-" + name + (width == PHONE ? "-phone" : "") + ".png"),
                    browser.getScreenshotAs(OutputType.BYTES));
        }
        browser.manage().window().setSize(new Dimension(LAPTOP, 900));
        return problems;
    }
}
