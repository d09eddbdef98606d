// Makes the small gallery images of docs/screens.md from the harness's renders (scripts/screens-gallery.sh):
// each named PNG of SRC_DIR scaled to half (360 px wide: one pixel per dp) and cut at MAX_HEIGHT px, into
// DST_DIR. JDK 11+ single-file launch: java Gallery.java SRC_DIR DST_DIR MAX_HEIGHT NAME...
import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.image.BufferedImage;
import java.io.File;
import javax.imageio.ImageIO;

public class Gallery {
    public static void main(String[] args) throws Exception {
        File src = new File(args[0]);
        File dst = new File(args[1]);
        int maxHeight = Integer.parseInt(args[2]);
        dst.mkdirs();
        for (int i = 3; i < args.length; i++) {
            BufferedImage in = ImageIO.read(new File(src, args[i] + ".png"));
            if (in == null) throw new IllegalArgumentException("no render " + args[i] + ".png in " + src);
            int w = in.getWidth() / 2;
            int h = Math.min(in.getHeight() / 2, maxHeight);
            Image scaled = in.getSubimage(0, 0, in.getWidth(), h * 2).getScaledInstance(w, h, Image.SCALE_AREA_AVERAGING);
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = out.createGraphics();
            g.drawImage(scaled, 0, 0, null);
            g.dispose();
            File f = new File(dst, args[i].replace('@', '-') + ".png");
            ImageIO.write(out, "png", f);
            System.out.println(f + " " + f.length() / 1024 + " KiB");
        }
    }
}
