// Face detection through pagebridge's OSC port, as with Runway's Processing examples (oscP5).
// Sends an image file as a data URI to /query and draws the boxes that /data brings.
//
// Needs the oscP5 library (Sketch > Import Library > Add Library > oscP5) and a running bridge (npm start).
// Press O to send another image.
//
// OSC travels in UDP datagrams of at most about 65,000 bytes: the sketch sends a copy of the image scaled to
// 256 px as JPEG, which fits. For larger images use the HTTP port (POST /query).

import oscP5.*;
import netP5.*;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Base64;
import javax.imageio.ImageIO;

final String BRIDGE_HOST = "127.0.0.1";
final int BRIDGE_PORT = 57100; // the bridge's --osc-port
final int LISTEN_PORT = 57200; // where this sketch receives replies (it sends from this port too)
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
  properties.setRemoteAddress(BRIDGE_HOST, BRIDGE_PORT);
  properties.setListeningPort(LISTEN_PORT);
  properties.setDatagramSize(MAX_DATAGRAM + 1000); // oscP5's default (1536 bytes) is too small for images
  properties.setSRSP(OscProperties.ON);             // send from LISTEN_PORT: the bridge replies to the sender
  oscP5 = new OscP5(this, properties);
  bridge = new NetAddress(BRIDGE_HOST, BRIDGE_PORT);

  // From now on every output of the model comes here as /data, whoever caused it.
  oscP5.send(new OscMessage("/server/connect"), bridge);
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
  String uri = jpegDataUri(img, SEND_SIZE);
  JSONObject input = new JSONObject();
  input.setString("image", uri);
  String json = input.format(-1); // one line
  if (json.length() > MAX_DATAGRAM - 100) {
    status = "the image is " + json.length() + " bytes as JSON, too large for OSC: use HTTP";
    return;
  }
  OscMessage query = new OscMessage("/query");
  query.add(json);
  oscP5.send(query, bridge);
  status = "looking for faces";
}

// A copy of img, its longest side `size` pixels, as a JPEG data URI.
String jpegDataUri(PImage img, int size) {
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
  return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg.toByteArray());
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
  oscP5.send(new OscMessage("/server/disconnect"), bridge);
  oscP5.stop();
  super.exit();
}
