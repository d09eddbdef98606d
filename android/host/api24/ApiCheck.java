// Checks compiled classes against an Animal Sniffer signature of the Android API (run by
// scripts/check-android-api.sh with `java ApiCheck.java`, JDK 11+ single-file launch).
// Usage: ApiCheck SIGNATURE TARGET.jar|DIR [--allow REGEX ...] [IGNORED-PACKAGE ...]
// References to the ignored packages (libraries the APK ships: Kotlin, coroutines, JNA, our own code) are
// not checked; every other reference must exist in the signature, or the check fails and names it — unless
// the finding ("file:class:line: Undefined reference: ...") matches an --allow pattern, each of which the
// calling script justifies (and which are printed, so they stay visible).
import org.codehaus.mojo.animal_sniffer.SignatureChecker;
import org.codehaus.mojo.animal_sniffer.logging.Logger;

import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

public class ApiCheck {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) throw new IllegalArgumentException("usage: ApiCheck SIGNATURE TARGET [IGNORED-PACKAGE ...]");
        Set<String> ignored = new HashSet<>();
        List<java.util.regex.Pattern> allowed = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--allow")) allowed.add(java.util.regex.Pattern.compile(args[++i]));
            else ignored.add(args[i]);
        }
        List<String> errors = new ArrayList<>();
        int[] allowedCount = {0};
        Logger log = new Logger() {
            public void info(String m) {}
            public void info(String m, Throwable t) {}
            public void debug(String m) {}
            public void debug(String m, Throwable t) {}
            public void warn(String m) { System.out.println("warning: " + m); }
            public void warn(String m, Throwable t) { System.out.println("warning: " + m); }
            public void error(String m) {
                for (java.util.regex.Pattern p : allowed) {
                    if (p.matcher(m).find()) { allowedCount[0]++; System.out.println("allowed (" + p + "): " + m); return; }
                }
                errors.add(m);
                System.out.println("not in the API: " + m);
            }
            public void error(String m, Throwable t) { error(m); }
        };
        SignatureChecker checker;
        try (InputStream sig = new FileInputStream(args[0])) {
            checker = new SignatureChecker(sig, ignored, log);
        }
        checker.setCheckJars(true);
        checker.setSourcePath(new ArrayList<>());
        checker.process(new File(args[1]));
        if (!errors.isEmpty()) {
            System.out.println(errors.size() + " reference(s) outside " + new File(args[0]).getName());
            System.exit(1);
        }
        System.out.println(new File(args[1]).getName() + ": every platform reference is in " + new File(args[0]).getName()
            + " (" + allowedCount[0] + " allowed as listed above)");
    }
}
