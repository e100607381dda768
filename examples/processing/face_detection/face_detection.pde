// Face detection through pagebridge's OSC port, as with Runway's Processing examples (oscP5).
// Sends an image file to /query as a JPEG blob and draws the boxes that /data brings.
//
// Needs the oscP5 library (Sketch > Import Library > Add Library > oscP5) and a running bridge (npm start).
// Press O to send another image.
//
// The pattern works with oscP5 0.9.9 (what the Contribution Manager installs) and 2.0.x alike: listen on a
// port of your own, set no remote address (2.0.x would then send from a new port each time and never
// listen), and tell the bridge that port in /server/connect. oscP5 drops datagrams over its receive
// buffer (1,536 bytes by default) without a word: setDatagramSize makes room for large outputs.
//
// OSC travels in UDP datagrams of at most about 65,000 bytes: the sketch sends a copy of the image scaled to
// 256 px as JPEG, which fits. For larger images use the HTTP port (POST /query).

import oscP5.*;
import netP5.*;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;

final String BRIDGE_HOST = "127.0.0.1";
final int BRIDGE_PORT = 57100; // the bridge's --osc-port
final int LISTEN_PORT = 57200; // where this sketch receives replies (Runway's reply port)
final int SEND_SIZE = 256;     // the longest side of the copy that is sent
final int MAX_DATAGRAM = 65000;

OscP5 oscP5;
NetAddress bridge;
PImage picture;
JSONArray faces = new JSONArray();
String status = "connecting";

void setup() {
  size(512, 540);
  OscProperties properties = new OscProperties();
  properties.setListeningPort(LISTEN_PORT);
  properties.setDatagramSize(65536); // the default (1,536 bytes) loses a /data of more than a few faces
  oscP5 = new OscP5(this, properties);
  bridge = new NetAddress(BRIDGE_HOST, BRIDGE_PORT);

  // From now on every output of the model comes to LISTEN_PORT as /data, whoever caused it, and so
  // does every /error of a query this sketch sends.
  OscMessage connect = new OscMessage("/server/connect");
  connect.add(LISTEN_PORT);
  oscP5.send(connect, bridge);
  // A picture of a face that ships with pagebridge.
  queryFaces(sketchPath("../../../test/fixtures/astronaut.jpg"));
}

void keyPressed() {
  if (key == 'o' || key == 'O') selectInput("An image to look for faces in", "imageChosen");
}

void imageChosen(File file) {
  if (file != null) queryFaces(file.getAbsolutePath());
}

void queryFaces(String path) {
  PImage img = loadImage(path);
  if (img == null || img.width <= 0) {
    status = "cannot read " + path;
    return;
  }
  picture = img;
  faces = new JSONArray();
  byte[] jpeg = jpegBytes(img, SEND_SIZE);
  if (jpeg.length > MAX_DATAGRAM - 100) {
    status = "the image is " + jpeg.length + " bytes, too large for OSC: use HTTP";
    return;
  }
  // A blob is the image itself. Runway's form works too: query.add("{\"image\": \"data:image/jpeg;base64,…\"}").
  OscMessage query = new OscMessage("/query");
  query.add(jpeg);
  oscP5.send(query, bridge);
  status = "looking for faces";
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

// oscP5 calls this for every message that arrives (on its own thread).
void oscEvent(OscMessage message) {
  if (message.checkAddrPattern("/data")) {
    JSONObject output = parseJSONObject(message.get(0).stringValue());
    JSONArray found = output.getJSONArray("faces");
    faces = found != null ? found : new JSONArray();
    status = faces.size() + (faces.size() == 1 ? " face" : " faces");
  } else if (message.checkAddrPattern("/error")) {
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
    // Boxes and keypoints are in 0..1 of the image.
    noFill();
    stroke(0, 255, 0);
    strokeWeight(2);
    JSONArray shown = faces;
    for (int i = 0; i < shown.size(); i++) {
      JSONObject face = shown.getJSONObject(i);
      JSONArray box = face.getJSONArray("box");
      rect(box.getFloat(0) * w, box.getFloat(1) * h, box.getFloat(2) * w, box.getFloat(3) * h);
      JSONArray keypoints = face.getJSONArray("keypoints");
      for (int k = 0; keypoints != null && k < keypoints.size(); k++) {
        JSONArray p = keypoints.getJSONArray(k);
        circle(p.getFloat(0) * w, p.getFloat(1) * h, 4);
      }
    }
  }
  noStroke();
  fill(0);
  text(status, 10, height - 10);
}

void exit() {
  OscMessage disconnect = new OscMessage("/server/disconnect");
  disconnect.add(LISTEN_PORT);
  oscP5.send(disconnect, bridge);
  oscP5.stop();
  super.exit();
}
