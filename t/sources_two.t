#!/usr/bin/perl
# ticket_token: a ticket presented in more than one source (a header and a
# cookie, a cookie and an argument, ...) is "malformed", whichever copy is
# good: no "first found wins", so an attacker's second copy is never the
# one a backend reads, and never hides the other.  A copy that only a
# backend's parser finds (a cookie name after a tab or NBSP, an argument
# named "+t", "%20t", "t%00x" or "t[0]", a ";" between arguments) counts
# as a copy; alone, with a value, it is "malformed" too: a ticket the
# gateway cannot read is not a ticket it verified.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

plan(tests => 77);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $other = $t->keygen('ES256', 'k2');      # not configured

$t->start(<<'EOF');
    log_format t '$arg_c $status $ticket_reason';
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/x.log t;

        location /s/ {
            ticket any;
            ticket_token header:X-Ticket cookie:tk arg:t;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /mixed/ {
            ticket any;
            ticket_token header:Authorization cookie:tk;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /u/ {
            ticket any;
            ticket_token cookie:access_token arg:access_token;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        access_log off;
        location / {
            return 200 "backend\n";
        }
    }
EOF

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user');
my $forged = $t->mint(key => $other->{key}, kid => 'k1', sub => 'mallory',
                      kind => 'user');

my @cases;

sub case {
    my ($name, $uri, $hdrs, $status, $reason) = @_;
    my $sep = $uri =~ /\?/ ? '&' : '?';
    my $r = $t->get("$uri${sep}c=$name", headers => $hdrs);
    is($r->{status}, $status, "$name: $status");
    push @cases, [$name, "$status $reason"];
}

# one source: as before

case('header', '/s/x', ['X-Ticket' => $good], 200, 'ok');
case('cookie', '/s/x', [Cookie => "a=1; tk=$good"], 200, 'ok');
case('arg', "/s/x?t=$good", [], 200, 'ok');
case('near-names', "/s/x?tt=1&xt=2&tx=3&t=$good",
     [Cookie => "tkx=1; xtk=2; t=3"], 200, 'ok');
case('bearer', '/mixed/x', [Authorization => "Bearer $good"], 200, 'ok');

# one copy in each of two or three sources: malformed, whichever is good

case('header-cookie', '/s/x', ['X-Ticket' => $good, Cookie => "tk=$forged"],
     401, 'malformed');
case('cookie-header', '/s/x', ['X-Ticket' => $forged, Cookie => "tk=$good"],
     401, 'malformed');
case('header-arg', "/s/x?t=$forged", ['X-Ticket' => $good], 401,
     'malformed');
case('cookie-arg', "/s/x?t=$forged", [Cookie => "tk=$good"], 401,
     'malformed');
case('all-three', "/s/x?t=$good",
     ['X-Ticket' => $good, Cookie => "tk=$good"], 401, 'malformed');
case('same-ticket-twice', '/s/x',
     ['X-Ticket' => $good, Cookie => "tk=$good"], 401, 'malformed');
case('bearer-cookie', '/mixed/x',
     [Authorization => "Bearer $good", Cookie => "tk=$forged"], 401,
     'malformed');
case('bearer-empty-cookie', '/mixed/x',
     [Authorization => 'Bearer', Cookie => "tk=$good"], 401, 'malformed');

# what is no ticket does not count: another scheme, an empty cookie or
# argument

case('basic-cookie', '/mixed/x',
     [Authorization => 'Basic dXNlcjpwYXNz', Cookie => "tk=$good"], 200,
     'ok');
case('empty-cookie-arg', "/s/x?t=$good", [Cookie => 'tk='], 200, 'ok');
case('empty-arg-header', '/s/x?t=', ['X-Ticket' => $good], 200, 'ok');

# cookies as a backend splits them: white space nginx does not skip

case('cookie-tab', '/s/x', ['X-Ticket' => $good, Cookie => "a=1;\ttk=$forged"],
     401, 'malformed');
case('cookie-nbsp', '/s/x',
     ['X-Ticket' => $good, Cookie => "a=1;\xa0tk=$forged"], 401, 'malformed');
case('cookie-tab-twice', '/s/x', [Cookie => "tk=$good;\ttk=$forged"], 401,
     'malformed');
case('cookie-nbsp-twice', '/s/x', [Cookie => "tk=$good; \xa0tk=$forged"],
     401, 'malformed');
case('cookie-tab-before-eq', '/s/x', [Cookie => "tk=$good; tk\t=$forged"],
     401, 'malformed');
case('cookie-tab-alone', '/s/x', [Cookie => "a=1;\ttk=$good"], 401,
     'malformed');
case('cookie-fs-alone', '/s/x', [Cookie => "a=1;\x1ftk=$good"], 401,
     'malformed');
case('cookie-dot-for-underscore', '/u/x',
     [Cookie => "access_token=$good; access.token=$forged"], 401,
     'malformed');

# arguments as a backend decodes them

case('arg-plus', "/s/x?%2Bx=1&+t=$forged", ['X-Ticket' => $good], 401,
     'malformed');
case('arg-space', "/s/x?%20t=$forged", ['X-Ticket' => $good], 401,
     'malformed');
case('arg-nul', "/s/x?t%00x=$forged", ['X-Ticket' => $good], 401,
     'malformed');
case('arg-nul-twice', "/s/x?t=$good&t%00x=$forged", [], 401, 'malformed');
case('arg-bracket', "/s/x?t=$good&t[0]=$forged", [], 401, 'malformed');
case('arg-semicolon', "/s/x?t=$good;t=$forged", [], 401, 'malformed');
case('arg-plus-alone', "/s/x?+t=$good", [], 401, 'malformed');
case('arg-nul-alone', "/s/x?t%00=$good", [], 401, 'malformed');
case('arg-trailing-space', "/s/x?t%20=$good", [], 401, 'malformed');
case('arg-dot-for-underscore', "/u/x?access_token=$good&access.token=$forged",
     [], 401, 'malformed');
case('arg-long-space', '/s/x?' . ('%20' x 100) . "t=$forged",
     ['X-Ticket' => $good], 401, 'malformed');
case('cookie-long-space', '/s/x',
     ['X-Ticket' => $good, Cookie => "a=1;" . ("\t" x 100) . "tk=$forged"],
     401, 'malformed');
case('arg-bare-alone', '/s/x?t', [], 401, 'missing');

$t->stop;

my %log;
for my $line (split /\n/, $t->read_file('logs/x.log')) {
    my ($c, $rest) = split / /, $line, 2;
    $log{$c} = $rest;
}

for my $c (@cases) {
    is($log{$c->[0]}, $c->[1], "log $c->[0]: $c->[1]");
}

# the refusal is audited, and the error log says why at info

my ($rec) = grep { /"reason":"malformed"/ && m{"uri":"/s/x"} }
            split /\n/, $t->read_file('logs/audit.jsonl');
like($rec // '', qr/"event":"denied".*"status":401/,
     'audit: a denied record, 401, malformed');

like($t->error_log, qr/ticket: more than one source holds a ticket/,
     'error log: more than one source');

$t->done;
