// Coordinates for inspectors: CGCS2000 lon/lat, Gauss-Krüger 3° zones (as on Chinese survey
// sheets: X = northing, Y = easting with the zone number in front), parsing of typed
// coordinates, and ellipsoidal distance (Vincenty) and area (authalic sphere) for measuring.
// CGCS2000 and WGS 84 differ by centimetres: the map's lon/lat are used as CGCS2000 as is.
"use strict";
const RMGeo = (() => {
  const a = 6378137, f = 1 / 298.257222101; // CGCS2000 ellipsoid
  const e2 = f * (2 - f), ep2 = e2 / (1 - e2), e = Math.sqrt(e2), b = a * (1 - f);
  const rad = Math.PI / 180;
  const m0 = 1 - e2 / 4 - 3 * e2 * e2 / 64 - 5 * e2 ** 3 / 256;

  function meridian(phi) {
    return a * (m0 * phi - (3 * e2 / 8 + 3 * e2 * e2 / 32 + 45 * e2 ** 3 / 1024) * Math.sin(2 * phi)
      + (15 * e2 * e2 / 256 + 45 * e2 ** 3 / 1024) * Math.sin(4 * phi) - (35 * e2 ** 3 / 3072) * Math.sin(6 * phi));
  }

  // 3° zone n has its central meridian at 3n°E (Changji: zones 29–30, CM 87° and 90°).
  function gkZone(lon) { return Math.round(lon / 3); }

  function toGK(lon, lat, zone = gkZone(lon)) {
    const phi = lat * rad, l = (lon - 3 * zone) * rad;
    const s = Math.sin(phi), c = Math.cos(phi), tn = Math.tan(phi);
    const N = a / Math.sqrt(1 - e2 * s * s), T = tn * tn, C = ep2 * c * c, A = l * c;
    const east = N * (A + (1 - T + C) * A ** 3 / 6 + (5 - 18 * T + T * T + 72 * C - 58 * ep2) * A ** 5 / 120);
    const north = meridian(phi) + N * tn * (A * A / 2 + (5 - T + 9 * C + 4 * C * C) * A ** 4 / 24
      + (61 - 58 * T + T * T + 600 * C - 330 * ep2) * A ** 6 / 720);
    return { zone, cm: 3 * zone, x: north, y: zone * 1e6 + 500000 + east };
  }

  function fromGK(x, y, zone) {
    if (y >= 1e6) { zone = Math.floor(y / 1e6); y -= zone * 1e6; }
    const east = y - 500000;
    const mu = x / (a * m0), se = Math.sqrt(1 - e2), e1 = (1 - se) / (1 + se);
    const p1 = mu + (3 * e1 / 2 - 27 * e1 ** 3 / 32) * Math.sin(2 * mu) + (21 * e1 * e1 / 16 - 55 * e1 ** 4 / 32) * Math.sin(4 * mu)
      + (151 * e1 ** 3 / 96) * Math.sin(6 * mu) + (1097 * e1 ** 4 / 512) * Math.sin(8 * mu);
    const s = Math.sin(p1), c = Math.cos(p1), tn = Math.tan(p1);
    const C1 = ep2 * c * c, T1 = tn * tn, N1 = a / Math.sqrt(1 - e2 * s * s);
    const R1 = a * (1 - e2) / (1 - e2 * s * s) ** 1.5, D = east / N1;
    const phi = p1 - (N1 * tn / R1) * (D * D / 2 - (5 + 3 * T1 + 10 * C1 - 4 * C1 * C1 - 9 * ep2) * D ** 4 / 24
      + (61 + 90 * T1 + 298 * C1 + 45 * T1 * T1 - 252 * ep2 - 3 * C1 * C1) * D ** 6 / 720);
    const lam = (D - (1 + 2 * T1 + C1) * D ** 3 / 6 + (5 - 2 * C1 + 28 * T1 - 3 * C1 * C1 + 8 * ep2 + 24 * T1 * T1) * D ** 5 / 120) / c;
    return { lon: 3 * zone + lam / rad, lat: phi / rad, zone };
  }

  const fmt = (v, d) => v.toFixed(d);
  function format(lon, lat) {
    const g = toGK(lon, lat);
    return {
      lonlat: `${fmt(lat, 6)}°N ${fmt(lon, 6)}°E`,
      gk: `GK 3° ${g.zone} (${g.cm}°E) X ${fmt(g.x, 1)} Y ${fmt(g.y, 1)}`,
    };
  }

  // "44.2, 87.3" / "87.3 44.2" / 44°12'30"N 87°18'E / GK "X 4876543 Y 29512345" → {lon, lat}
  function parse(q, zoneHint = 29) {
    const s = q.trim().replace(/[，,;]/g, " ");
    const dms = [...s.matchAll(/(\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′分])?\s*(?:(\d+(?:\.\d+)?)\s*["″秒])?\s*([NSEW北南东西])?/gi)];
    let nums;
    if (dms.length === 2) {
      nums = dms.map((m) => ({ v: Number(m[1]) + Number(m[2] || 0) / 60 + Number(m[3] || 0) / 3600, h: (m[4] || "").toUpperCase() }));
    } else {
      const plain = s.replace(/^[xXyY:：\s]+/, "").split(/\s+[xXyY:：]*\s*|\s+/).filter(Boolean);
      if (plain.length !== 2 || !plain.every((p) => /^-?\d+(\.\d+)?$/.test(p))) return null;
      nums = plain.map((p) => ({ v: Number(p), h: "" }));
    }
    const [p, r] = nums;
    if (Math.abs(p.v) > 1000 || Math.abs(r.v) > 1000) { // projected metres: Gauss-Krüger
      const north = Math.min(p.v, r.v) < 1e6 ? Math.max(p.v, r.v) : Math.min(p.v, r.v);
      const east = north === p.v ? r.v : p.v;
      if (north < 1e6 || north > 6.5e6) return null;
      const ll = fromGK(north, east, zoneHint);
      return { ...ll, kind: "gk" };
    }
    let lat, lon;
    if ("NS北南".includes(p.h) && p.h) { lat = p.v; lon = r.v; } else if ("NS北南".includes(r.h) && r.h) { lat = r.v; lon = p.v; }
    else if (Math.abs(p.v) > 60) { lon = p.v; lat = r.v; } else { lat = p.v; lon = r.v; } // China: lon > 73
    if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    return { lon, lat, kind: "lonlat" };
  }

  // Vincenty's inverse formula on the ellipsoid (metres); falls back to the sphere if it
  // does not converge (nearly antipodal points, never in a county).
  function distance([lon1, lat1], [lon2, lat2]) {
    const L = (lon2 - lon1) * rad;
    const U1 = Math.atan((1 - f) * Math.tan(lat1 * rad)), U2 = Math.atan((1 - f) * Math.tan(lat2 * rad));
    const sU1 = Math.sin(U1), cU1 = Math.cos(U1), sU2 = Math.sin(U2), cU2 = Math.cos(U2);
    let lam = L, iter = 0, sS, cS, sig, sA, c2A, c2m;
    do {
      const sl = Math.sin(lam), cl = Math.cos(lam);
      sS = Math.sqrt((cU2 * sl) ** 2 + (cU1 * sU2 - sU1 * cU2 * cl) ** 2);
      if (sS === 0) return 0;
      cS = sU1 * sU2 + cU1 * cU2 * cl;
      sig = Math.atan2(sS, cS);
      sA = cU1 * cU2 * sl / sS;
      c2A = 1 - sA * sA;
      c2m = c2A ? cS - 2 * sU1 * sU2 / c2A : 0;
      const C = f / 16 * c2A * (4 + f * (4 - 3 * c2A));
      const prev = lam;
      lam = L + (1 - C) * f * sA * (sig + C * sS * (c2m + C * cS * (-1 + 2 * c2m * c2m)));
      if (Math.abs(lam - prev) < 1e-12) break;
    } while (++iter < 200);
    const u2 = c2A * (a * a - b * b) / (b * b);
    const A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
    const B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
    const dS = B * sS * (c2m + B / 4 * (cS * (-1 + 2 * c2m * c2m) - B / 6 * c2m * (-3 + 4 * sS * sS) * (-3 + 4 * c2m * c2m)));
    return b * A * (sig - dS);
  }

  // Area on the ellipsoid through the authalic (equal-area) sphere, in m².
  const q = (phi) => { const s = Math.sin(phi); return (1 - e2) * (s / (1 - e2 * s * s) - Math.log((1 - e * s) / (1 + e * s)) / (2 * e)); };
  const qp = q(Math.PI / 2), Rq = a * Math.sqrt(qp / 2);
  // Edges are geodesics: each is densified along its great circle (a geodesic between
  // points 4 km apart bulges ~0.3 m poleward of the straight lon/lat line: ~0.02 % of area).
  function densify(ring, n = 16) {
    const out = [];
    for (let i = 0; i < ring.length; i++) {
      const [l1, p1] = ring[i].map((v) => v * rad), [l2, p2] = ring[(i + 1) % ring.length].map((v) => v * rad);
      const A = [Math.cos(p1) * Math.cos(l1), Math.cos(p1) * Math.sin(l1), Math.sin(p1)];
      const B = [Math.cos(p2) * Math.cos(l2), Math.cos(p2) * Math.sin(l2), Math.sin(p2)];
      const d = Math.acos(Math.min(1, A[0] * B[0] + A[1] * B[1] + A[2] * B[2]));
      for (let k = 0; k < n; k++) {
        const t = k / n, sa = d ? Math.sin((1 - t) * d) / Math.sin(d) : 1 - t, sb = d ? Math.sin(t * d) / Math.sin(d) : t;
        const v = [0, 1, 2].map((j) => sa * A[j] + sb * B[j]);
        out.push([Math.atan2(v[1], v[0]) / rad, Math.atan2(v[2], Math.hypot(v[0], v[1])) / rad]);
      }
    }
    return out;
  }
  function area(ring) {
    const pts = densify(ring).map(([lon, lat]) => [lon * rad, Math.asin(q(lat * rad) / qp)]);
    let sum = 0;
    for (let i = 0; i < pts.length; i++) {
      const [l1, b1] = pts[i], [l2, b2] = pts[(i + 1) % pts.length];
      sum += (l2 - l1) * (2 + Math.sin(b1) + Math.sin(b2));
    }
    return Math.abs(sum * Rq * Rq / 2);
  }

  return { toGK, fromGK, gkZone, format, parse, distance, area };
})();
