package ceiling.spike;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

import org.apache.commons.cli.avalon.CLArgsParser;
import org.apache.commons.cli.avalon.CLOptionDescriptor;
import org.apache.jmeter.JMeter;

import com.thoughtworks.xstream.XStream;

/**
 * Starts Debian's JMeter 2.13 with its XStream (1.4.20) allowed to read JMeter's own types.
 *
 * XStream >= 1.4.18 denies every type that is not explicitly allowed, and JMeter 2.13 predates
 * that, so Debian's JMeter refuses any test plan (and any XML JTL) with
 * com.thoughtworks.xstream.security.ForbiddenClassException. This launcher:
 *
 * 1. lets JMeter load its properties exactly as it will for the run (JMeter's private
 *    initializeProperties with the same command line), because SaveService's static
 *    initialiser reads them;
 * 2. adds type permissions to SaveService's two static XStream instances (JMXSAVER for test
 *    plans, JTLSAVER for XML results): JMeter's, jorphan's and this fixture's packages;
 * 3. calls JMeter's own main entry point, new JMeter().start(args), unchanged.
 *
 * Run it with JMeter's jars and their Debian dependencies on the class path (make.sh does), e.g.
 * java -Djmeter.home=/usr/share/jmeter -cp classes:/usr/share/jmeter/bin/ApacheJMeter.jar:
 * /usr/share/jmeter/lib/ext/*:/usr/share/jmeter/lib/* ceiling.spike.JMeterLauncher -n -t plan.jmx
 */
public final class JMeterLauncher {

    private static final String[] ALLOWED = {
        "org.apache.jmeter.**",
        "org.apache.jorphan.**",
        "ceiling.spike.**",
    };

    private JMeterLauncher() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("jmeter.home") == null) {
            System.setProperty("jmeter.home", "/usr/share/jmeter");
        }

        Field optF = JMeter.class.getDeclaredField("options");
        optF.setAccessible(true);
        CLOptionDescriptor[] options = (CLOptionDescriptor[]) optF.get(null);
        CLArgsParser parser = new CLArgsParser(args, options);
        if (parser.getErrorString() == null) {
            Method init = JMeter.class.getDeclaredMethod("initializeProperties", CLArgsParser.class);
            init.setAccessible(true);
            init.invoke(new JMeter(), parser);

            Class<?> ss = Class.forName("org.apache.jmeter.save.SaveService");
            for (String name : new String[] {"JMXSAVER", "JTLSAVER"}) {
                Field f = ss.getDeclaredField(name);
                f.setAccessible(true);
                XStream x = (XStream) f.get(null);
                x.allowTypesByWildcard(ALLOWED);
            }
            System.out.println("ceiling launcher: XStream allows " + String.join(", ", ALLOWED));
        }
        // JMeter reports bad arguments itself
        new JMeter().start(args);
    }
}
