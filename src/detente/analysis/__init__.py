"""detente.analysis"""
