// A body's pose through pagebridge's OSC port, in numbers (oscP5): sends an image to the bridge's
// `body-pose` model as a JPEG blob and draws the skeleton that comes back, one message per keypoint.
// Written against oscP5's API and not run here: there is no Processing on Debian. The same exchange, sent by
// a real OSC client, is checked in test/pose-examples.test.ts.
//
// Needs the oscP5 library (Sketch > Import Library > Add Library > oscP5) and a running bridge that serves
// body-pose (npm start). Press O to send another image.
//
// Numeric answers (docs/protocols.md, "Numeric answers"): /models/body-pose/server/connect i <port> s numeric
// i 1 asks for numbers instead of JSON, in one slot: every output then comes as
//   /models/body-pose/poses/count i <0 or 1>
//   /models/body-pose/poses/0/box ffff, /models/body-pose/poses/0/score f
//   /models/body-pose/poses/0/keypoints/<name> ffff   (x y z score, all 33 names, zeros when no one is there)
//   /models/body-pose/tracked i                       (the last message of an output)
// in OSC bundles of at most 1,536 bytes. Numbers need no JSON parser, and no message nears oscP5's buffer.
//
// As in ../face_detection/face_detection.pde: listen on a port of your own with a large receive buffer, set
// no remote address, and tell the bridge that port. Every output of the model comes here, whoever caused
// it (the page's camera, another tool): the skeleton is drawn over the last image this sketch sent.

import oscP5.*;
import netP5.*;
import java.util.HashMap;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;

final String BRIDGE_HOST = "127.0.0.1";
final int BRIDGE_PORT = 57100; // the bridge's --osc-port
final int LISTEN_PORT = 57210; // where this sketch receives (not 57200, so face_detection can run beside it)
final String PREFIX = "/models/body-pose";
final int SEND_SIZE = 256;     // the longest side of the copy sent: a datagram holds about 65,000 bytes
final int MAX_DATAGRAM = 65000;
final float MIN_SCORE = 0.5;   // a keypoint's score is its visibility

// BlazePose's connections (MediaPipe's POSE_CONNECTIONS, as web/runtime/adapters/body-pose.ts has them).
final String[][] BONES = {
  {"nose", "left_eye_inner"}, {"left_eye_inner", "left_eye"}, {"left_eye", "left_eye_outer"}, {"left_eye_outer", "left_ear"},
  {"nose", "right_eye_inner"}, {"right_eye_inner", "right_eye"}, {"right_eye", "right_eye_outer"}, {"right_eye_outer", "right_ear"},
  {"mouth_left", "mouth_right"}, {"left_shoulder", "right_shoulder"},
  {"left_shoulder", "left_elbow"}, {"left_elbow", "left_wrist"}, {"left_wrist", "left_pinky"}, {"left_wrist", "left_index"},
  {"left_wrist", "left_thumb"}, {"left_pinky", "left_index"},
  {"right_shoulder", "right_elbow"}, {"right_elbow", "right_wrist"}, {"right_wrist", "right_pinky"}, {"right_wrist", "right_index"},
  {"right_wrist", "right_thumb"}, {"right_pinky", "right_index"},
  {"left_shoulder", "left_hip"}, {"right_shoulder", "right_hip"}, {"left_hip", "right_hip"},
  {"left_hip", "left_knee"}, {"right_hip", "right_knee"}, {"left_knee", "left_ankle"}, {"right_knee", "right_ankle"},
  {"left_ankle", "left_heel"}, {"right_ankle", "right_heel"}, {"left_heel", "left_foot_index"}, {"right_heel", "right_foot_index"},
  {"left_ankle", "left_foot_index"}, {"right_ankle", "right_foot_index"},
};

OscP5 oscP5;
NetAddress bridge;
PImage picture;
// Keypoints by name, {x, y, z, score}: `incoming` fills while an output arrives, `shown` is the last whole one.
HashMap<String, float[]> incoming = new HashMap<String, float[]>();
HashMap<String, float[]> shown = new HashMap<String, float[]>();
int people = 0;
String status = "connecting";

void setup() {
  size(512, 540);
  OscProperties properties = new OscProperties();
  properties.setListeningPort(LISTEN_PORT);
  properties.setDatagramSize(65536); // the default (1,536 bytes) also drops the /error of a too large image
  oscP5 = new OscP5(this, properties);
  bridge = new NetAddress(BRIDGE_HOST, BRIDGE_PORT);

  OscMessage connect = new OscMessage(PREFIX + "/server/connect");
  connect.add(LISTEN_PORT);
  connect.add("numeric");
  connect.add(1); // one slot: always one person's 33 keypoints, zeros when no one is there
  oscP5.send(connect, bridge);
  // A picture of a person that ships with pagebridge.
  queryPose(sketchPath("../../../test/fixtures/astronaut.jpg"));
}

void keyPressed() {
  if (key == 'o' || key == 'O') selectInput("An image to find a body's pose in", "imageChosen");
}

void imageChosen(File file) {
  if (file != null) queryPose(file.getAbsolutePath());
}

void queryPose(String path) {
  PImage img = loadImage(path);
  if (img == null || img.width <= 0) {
    status = "cannot read " + path;
    return;
  }
  picture = img;
  byte[] jpeg = jpegBytes(img, SEND_SIZE);
  if (jpeg.length > MAX_DATAGRAM - 100) {
    status = "the image is " + jpeg.length + " bytes, too large for OSC: use HTTP";
    return;
  }
  OscMessage query = new OscMessage(PREFIX + "/query");
  query.add(jpeg); // a blob: the model's image input
  oscP5.send(query, bridge);
  status = "looking for a body";
}

// A copy of img, its longest side `size` pixels, as JPEG.
byte[] jpegBytes(PImage img, int size) {
  PImage copy = img.copy();
  if (copy.width >= copy.height) copy.resize(size, 0);
  else copy.resize(0, size);
  copy.loadPixels();
  BufferedImage rgb = new BufferedImage(copy.width, copy.height, BufferedImage.TYPE_INT_RGB);
  rgb.setRGB(0, 0, copy.width, copy.height, copy.pixels, 0, copy.width);
  ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
  try {
    ImageIO.write(rgb, "jpg", jpeg);
  } catch (IOException e) {
    throw new RuntimeException(e);
  }
  return jpeg.toByteArray();
}

// oscP5 calls this for every message that arrives, those of bundles one by one (on its own thread).
void oscEvent(OscMessage message) {
  String address = message.addrPattern();
  String keypoints = PREFIX + "/poses/0/keypoints/";
  if (address.startsWith(keypoints) && message.checkTypetag("ffff")) {
    float[] k = new float[4];
    for (int i = 0; i < 4; i++) k[i] = message.get(i).floatValue();
    incoming.put(address.substring(keypoints.length()), k);
  } else if (address.equals(PREFIX + "/poses/count")) {
    people = message.get(0).intValue();
  } else if (address.equals(PREFIX + "/tracked")) {
    // The output is complete: show it whole, never half of one and half of the next.
    shown = incoming;
    incoming = new HashMap<String, float[]>();
    status = people == 0 ? "no one" : message.get(0).intValue() == 1 ? "pose (tracked)" : "pose";
  } else if (address.equals(PREFIX + "/error")) {
    status = "error: " + parseJSONObject(message.get(0).stringValue()).getString("error");
  }
}

void draw() {
  background(235);
  if (picture != null) {
    float scale = min(512.0 / picture.width, 512.0 / picture.height);
    float w = picture.width * scale;
    float h = picture.height * scale;
    image(picture, 0, 0, w, h);
    // Keypoints are in 0..1 of the image; parts out of the picture lie beyond it.
    HashMap<String, float[]> pose = shown;
    stroke(0, 230, 118);
    strokeWeight(3);
    for (String[] bone : BONES) {
      float[] a = pose.get(bone[0]);
      float[] b = pose.get(bone[1]);
      if (a == null || b == null || a[3] < MIN_SCORE || b[3] < MIN_SCORE) continue;
      line(a[0] * w, a[1] * h, b[0] * w, b[1] * h);
    }
    fill(255);
    strokeWeight(1);
    for (float[] k : pose.values()) if (k[3] >= MIN_SCORE) circle(k[0] * w, k[1] * h, 6);
  }
  noStroke();
  fill(0);
  text(status, 10, height - 10);
}

void exit() {
  OscMessage disconnect = new OscMessage(PREFIX + "/server/disconnect");
  disconnect.add(LISTEN_PORT);
  oscP5.send(disconnect, bridge);
  oscP5.stop();
  super.exit();
}
